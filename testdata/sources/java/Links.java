package io.acme.ota;

/** Links shared by the mail and the web page. */
public final class Links {
    public static final String INSTALL = "itms-services://?action=download-manifest&amp;url=https%3A%2F%2Fota.acme-apps.io%2Ffield%2Fmanifest.plist";

    private Links() {}
}
