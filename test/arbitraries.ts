// The fast-check arbitraries live in scripts/lib/arbitraries.ts, which the shipped `fuzz` command uses too.
export * from '../scripts/lib/arbitraries.ts';
