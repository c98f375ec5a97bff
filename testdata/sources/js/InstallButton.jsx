import React from 'react';

// JSX decodes entities in a string attribute, not in an expression.
export function InstallButton() {
  return (
    <div className="install">
      <a href="itms-services://?action=download-manifest&amp;url=https%3A%2F%2Fota.acme-apps.io%2Ffield%2Fmanifest.plist">Install</a>
      <a href={'itms-services://?action=download-manifest&amp;url=https%3A%2F%2Fota.acme-apps.io%2Ffield%2Fmanifest.plist'}>Install (beta)</a>
      <p>Don't see the button? Ask IT.</p>
    </div>
  );
}
