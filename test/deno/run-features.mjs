// Deno entry: the small feature computation of small-features.ts on the BUILT package's pure
// entry (dist/index.js), its input read from the JSON file named by the first argument, its
// output printed as JSON. Deno APIs only (run with --allow-read limited to that file).
/* global Deno */
import * as lib from '../../dist/index.js';
import { smallFeatures } from './small-features.ts';

const input = JSON.parse(await Deno.readTextFile(Deno.args[0]));
console.log(JSON.stringify({ runtime: `deno ${Deno.version.deno}`, ...smallFeatures(lib, input) }));
