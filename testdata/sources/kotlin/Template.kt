package io.acme.ota

fun link(host: String): String {
    val manifest = "https://${host}/field/manifest.plist"
    // the manifest URL is put in unencoded: right only while it holds no "&"
    return "itms-services://?action=download-manifest&url=${manifest}"
}
