using System;

public static class Concat
{
    public static Uri Link(string manifest) =>
        new Uri("itms-services://?action=download-manifest" + "&url=" + manifest);
}
