package io.acme.ota;

import java.net.URI;

public class Format {
    static URI install(String host) {
        return URI.create(String.format("itms-services://?action=download-manifest&url=http://%s/manifest.plist", host));
    }
}
