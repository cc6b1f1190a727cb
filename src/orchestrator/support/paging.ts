import type { ListOptions } from '../types.ts';
import { invalidParameter } from '../errors.ts';

/** Applies CloudStack paging (`page` is 1-based; paging only when `pageSize` is given). */
export function applyPaging<Q extends { limit(n: number): Q; offset(n: number): Q }>(query: Q, options: ListOptions): Q {
  if (options.pageSize === undefined) return query;
  if (!Number.isInteger(options.pageSize) || options.pageSize < 1) throw invalidParameter('pagesize must be a positive integer', 'pagesize');
  const page = options.page ?? 1;
  if (!Number.isInteger(page) || page < 1) throw invalidParameter('page must be a positive integer', 'page');
  return query.limit(options.pageSize).offset((page - 1) * options.pageSize);
}

/** Pages an in-memory list the same way (for small, assembled lists). */
export function pageOf<T>(items: T[], options: ListOptions): { items: T[]; count: number } {
  if (options.pageSize === undefined) return { items, count: items.length };
  const page = options.page ?? 1;
  if (!Number.isInteger(options.pageSize) || options.pageSize < 1) throw invalidParameter('pagesize must be a positive integer', 'pagesize');
  if (!Number.isInteger(page) || page < 1) throw invalidParameter('page must be a positive integer', 'page');
  return { items: items.slice((page - 1) * options.pageSize, page * options.pageSize), count: items.length };
}

export function matchesKeyword(name: string, keyword: string | undefined): boolean {
  return keyword === undefined || keyword === '' || name.toLowerCase().includes(keyword.toLowerCase());
}

/**
 * The pattern for a portable, case-insensitive substring match: compare it with `lower(column)` (SQLite's
 * LIKE ignores case, PostgreSQL's does not). LIKE wildcards in the keyword are dropped, not escaped, since
 * the two databases disagree on the default escape character.
 */
export function keywordPattern(keyword: string): string {
  return `%${keyword.toLowerCase().replace(/[%_\\]/g, '')}%`;
}
