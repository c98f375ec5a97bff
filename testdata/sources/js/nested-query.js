// The manifest URL carries its own encoded token (a%3Ab): encoded once more inside url=, so
// %253A inside %3F…%3D is right, not double encoding.
const link = 'itms-services://?action=download-manifest&url=https%3A%2F%2Fota.acme-apps.io%2Ffield%2Fmanifest.plist%3Ftoken%3Da%253Ab';
document.querySelector('#install').href = link;
