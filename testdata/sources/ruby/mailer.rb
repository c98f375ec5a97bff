class InstallMailer < ApplicationMailer
  # the link is shown as text in the plain-text mail
  def beta(user)
    @link = "itms-services://?action=download-manifest&url=https%3A%2F%2Fota.acme-apps.io%2Ffield%2Fmanifest.plist"
    mail(to: user.email, subject: "Install the beta")
  end
end
