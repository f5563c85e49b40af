// `--shard i/n`: a deterministic split of the work across machines (a CI matrix). Shards are
// disjoint and their union is exactly the unsharded run: parity assigns each golden case by a
// stable hash of torch version, loss and case id (so adding a case moves no other case), fuzz each
// run of a loss's property by its index.

import { InvalidArgumentError } from 'commander';

export interface Shard {
  /** 1-based, 1 <= index <= count. */
  index: number;
  count: number;
}

/** The whole run, as one shard. */
export const WHOLE: Shard = { index: 1, count: 1 };

/** Parses 'i/n' (commander argParser: a bad value is a one-line usage error naming the option). */
export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!(index >= 1 && count >= 1 && index <= count)) {
    throw new InvalidArgumentError('expected i/n with whole numbers 1 <= i <= n, e.g. 2/4.');
  }
  return { index, count };
}

/** 32-bit FNV-1a of a string's UTF-16 code units: stable across runs, machines and Node versions. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** Whether the item with this key (e.g. `torch/loss/case id`) belongs to the shard. */
export function keyInShard(key: string, shard: Shard): boolean {
  return fnv1a(key) % shard.count === shard.index - 1;
}

/** Whether the item at this 0-based position belongs to the shard (round robin). */
export function indexInShard(position: number, shard: Shard): boolean {
  return position % shard.count === shard.index - 1;
}

/** How many of positions 0 .. total - 1 belong to the shard. */
export function shardSize(total: number, shard: Shard): number {
  return total >= shard.index ? Math.floor((total - shard.index) / shard.count) + 1 : 0;
}

export const describeShard = (shard: Shard) => `${shard.index}/${shard.count}`;
