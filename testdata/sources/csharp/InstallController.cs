using System;
using Microsoft.AspNetCore.Mvc;

public class InstallController : Controller
{
    public IActionResult Install(string manifest)
    {
        return Redirect($"itms-services://?action=download-manifest&url={Uri.EscapeDataString(manifest)}");
    }
}
