package io.acme.ota

import android.net.Uri

fun shareLink(): Uri = Uri.parse("itms-services://?action=download-manifest&amp;url=https%3A%2F%2Fota.acme-apps.io%2Ffield%2Fmanifest.plist")
