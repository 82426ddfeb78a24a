// Copies the centrifuge-js browser bundle from node_modules into web/vendor/,
// which the chat app serves. Runs after `npm ci` / `npm install` (postinstall).
const fs = require('fs');
const path = require('path');

const src = path.join(__dirname, 'node_modules', 'centrifuge', 'dist', 'centrifuge.js');
const dir = path.join(__dirname, 'web', 'vendor');
fs.mkdirSync(dir, { recursive: true });
fs.copyFileSync(src, path.join(dir, 'centrifuge.js'));
const version = require(path.join(__dirname, 'node_modules', 'centrifuge', 'package.json')).version;
console.log(`vendored centrifuge ${version} -> ${path.relative(process.cwd(), dir)}/centrifuge.js`);
