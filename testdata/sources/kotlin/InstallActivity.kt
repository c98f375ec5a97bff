package io.acme.ota

import android.content.Intent
import android.net.Uri
import java.net.URLEncoder

class InstallActivity {
    fun install(manifest: String) {
        val encoded = URLEncoder.encode(manifest, "UTF-8")
        val intent = Intent(Intent.ACTION_VIEW, Uri.parse("itms-services://?action=download-manifest&url=$encoded"))
        startActivity(intent)
    }
}
