package io.acme.ota;

import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;

public class InstallServlet extends javax.servlet.http.HttpServlet {
    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        String manifest = "https://ota.acme-apps.io/field/manifest.plist";
        resp.sendRedirect("itms-services://?action=download-manifest&url="
                + URLEncoder.encode(manifest, StandardCharsets.UTF_8));
    }
}
