package io.acme.ota;

public class TextBlock {
    // a comment with a broken link is documentation: itms-services:/?action=x
    static String page() {
        return """
            <a href="itms-services://?action=download-manifest&amp;url=https%3A%2F%2Fota.acme-apps.io%2Ffield%2Fmanifest.plist">Install</a>
            """;
    }
}
