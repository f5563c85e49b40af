// `node main.mjs`, `bun main.mjs`, `deno run main.mjs`: prints the classic values as JSON.
import { classicValues } from './classic.mjs';

console.log(JSON.stringify(classicValues()));
