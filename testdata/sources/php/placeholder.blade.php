<p>Install the beta:</p>
<a href="itms-services://?action=download-manifest&amp;url=https://your-domain.com/manifest.plist">Install {{ $app->name }}</a>
