class BuildsController < ApplicationController
  # GET /builds/:id/install
  def install
    build = Build.find(params[:id])
    redirect_to "itms-services://?action=download-manifest&url=#{CGI.escape(build.manifest_url)}", allow_other_host: true
  end
end
