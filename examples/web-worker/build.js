// The build step: runs once per release in the release's own tree.
import { writeFileSync } from 'node:fs';

writeFileSync('build-info.json', JSON.stringify({ builtAt: new Date().toISOString() }));
console.log('build: wrote build-info.json');
