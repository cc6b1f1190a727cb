// Small helpers shared by the domain command modules.
import type { ListOptions, Page } from '../../orchestrator/index.ts';
import type { CommandResult, Paging } from '../registry.ts';
import type { ResponseObject } from '../responses/catalog.ts';

export function listOptions(paging: Paging, keyword: string | undefined): ListOptions {
  return { page: paging.pageSize === undefined ? undefined : paging.page, pageSize: paging.pageSize, keyword };
}

export function single<T>(response: ResponseObject<T>, value: T): CommandResult {
  return { type: 'object', name: response.name, value: response.map(value) };
}

export function listed<T>(response: ResponseObject<T>, page: Page<T>): CommandResult {
  return { type: 'list', name: response.name, items: page.items.map(response.map), count: page.count };
}

/** Some CloudStack "add" commands answer with a one-element list (`addclusterresponse.cluster[]`). */
export function listOfOne<T>(response: ResponseObject<T>, value: T): CommandResult {
  return { type: 'list', name: response.name, items: [response.map(value)], count: 1 };
}

export const SUCCESS: CommandResult = { type: 'fields', value: { success: true } };
