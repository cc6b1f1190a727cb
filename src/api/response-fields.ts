// Response field catalogues for listApis (name, type, description), declared once per CloudStack object.
import type { ResponseField } from './registry.ts';

type FieldDeclaration = string | [type: string, description: string] | [type: string, description: string, nested: ResponseField[]];

/** `{ id: 'the ID', count: ['integer', 'the count'] }` → ResponseField[]; plain strings are `string` fields. */
export function fields(declarations: Record<string, FieldDeclaration>): ResponseField[] {
  return Object.entries(declarations).map(([name, declaration]) => {
    if (typeof declaration === 'string') return { name, description: declaration, type: 'string' };
    const [type, description, nested] = declaration;
    return nested ? { name, description, type, response: nested } : { name, description, type };
  });
}

export const successFields = fields({
  success: ['boolean', 'true if operation is executed successfully'],
  displaytext: 'any text associated with the success or failure',
});

export const asyncJobFields = fields({
  jobid: 'the ID of the async job',
  accountid: 'the account ID that executed the async command',
  userid: 'the user that executed the async command',
  cmd: 'the async command executed',
  jobstatus: ['integer', 'the current job status: 0 pending, 1 succeeded, 2 failed'],
  jobprocstatus: ['integer', 'the progress information of the PENDING job'],
  jobprocstep: 'the step the PENDING job is in (extorch)',
  jobresultcode: ['integer', 'the result code for the job'],
  jobresulttype: 'the result type',
  jobresult: ['responseobject', 'the result reason'],
  jobinstancetype: 'the instance/entity object related to the job',
  jobinstanceid: 'the unique ID of the instance/entity object related to the job',
  created: ['date', 'the created date of the job'],
  completed: ['date', 'the completed date of the job'],
});
