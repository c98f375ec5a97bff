using Microsoft.AspNetCore.Mvc;

public class ApiController : Controller
{
    public IActionResult Link() => Json(new { url = "itms-services://?action=download-manifest&amp;url=https%3A%2F%2Fota.acme-apps.io%2Ffield%2Fmanifest.plist" });
}
