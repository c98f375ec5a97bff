package io.acme.ota

object Links {
    const val INSTALL = "itms-services://?action=download-manifest&amp;url=https%3A%2F%2Fota.acme-apps.io%2Ffield%2Fmanifest.plist"
}
