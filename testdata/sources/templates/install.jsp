<%@ page contentType="text/html;charset=UTF-8" %>
<html>
<body>
  <a href="itms-services://?action=download-manifest&amp;url=${fn:escapeXml(manifestUrl)}">Install</a>
</body>
</html>
