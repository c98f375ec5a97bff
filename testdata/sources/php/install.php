<?php $manifest = 'https://ota.acme-apps.io/field/manifest.plist'; ?>
<!doctype html>
<html>
<body>
  <a href="itms-services://?action=download-manifest&amp;url=<?php echo urlencode($manifest) ?>
">Install</a>
</body>
</html>
