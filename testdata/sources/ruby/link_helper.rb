module InstallHelper
  # The install link of a build, built from its manifest URL.
  def install_link(build)
    link_to 'Install', 'itms-services://?action=download-manifest&url=' + build.manifest_url
  end
end
