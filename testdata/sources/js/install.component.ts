import { Component, Input } from '@angular/core';

@Component({
  selector: 'app-install',
  template: `<a class="install" [href]="installLink">Install</a>`,
})
export class InstallComponent {
  @Input() plist = '';
  installLink = 'itms-services://?action=download-manifest&amp;url=' + this.plist;
}
