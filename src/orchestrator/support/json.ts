import type { DetailMap } from '../types.ts';

/** Reads a JSON string map column; anything that is not an object of strings yields `{}`. */
export function parseDetails(text: string | null | undefined): DetailMap {
  if (!text) return {};
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return {};
    const result: DetailMap = {};
    for (const [key, item] of Object.entries(value)) if (item !== null && item !== undefined) result[key] = String(item);
    return result;
  } catch {
    return {};
  }
}

export function stringifyDetails(details: DetailMap): string {
  return JSON.stringify(details);
}

export const bool = (value: number | boolean | null | undefined): boolean => value === 1 || value === true;
export const int = (value: boolean | undefined): number => (value ? 1 : 0);
