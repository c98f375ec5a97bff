using Microsoft.AspNetCore.Html;

public static class Page
{
    // inserted as HTML: the entity is right here
    public static HtmlString Button() => new HtmlString("<a href=\"itms-services://?action=download-manifest&amp;url=https%3A%2F%2Fota.acme-apps.io%2Ffield%2Fmanifest.plist\">Install</a>");
}
