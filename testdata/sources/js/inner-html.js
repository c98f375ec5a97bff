// Writes the install button into the page: HTML decodes &amp; to &.
const box = document.querySelector('#install-box');
box.innerHTML = '<a class="btn" href="itms-services://?action=download-manifest&amp;url=https%3A%2F%2Fota.acme-apps.io%2Ffield%2Fmanifest.plist">Install</a>';
