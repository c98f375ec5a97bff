<!doctype html>
<html>
<body>
<?php
  $link = 'itms-services://?action=download-manifest&amp;url=https%3A%2F%2Fota.acme-apps.io%2Ffield%2Fmanifest.plist';
  echo '<a href="' . $link . '">Install</a>';
?>
</body>
</html>
