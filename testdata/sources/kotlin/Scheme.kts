val link = "itms-service://?action=download-manifest&url=https%3A%2F%2Fota.acme-apps.io%2Ffield%2Fmanifest.plist"
println(link)
