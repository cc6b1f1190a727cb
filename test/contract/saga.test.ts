import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runSaga, SagaFailedError } from '../../src/contract/saga.ts';

describe('saga', () => {
  it('returns the result and undoes nothing when every step succeeds', async () => {
    const undone: string[] = [];
    const result = await runSaga(async (saga) => {
      saga.onUndo('a', async () => void undone.push('a'));
      return 42;
    });
    assert.equal(result, 42);
    assert.deepEqual(undone, []);
  });

  it('undoes what was registered, newest first, and rethrows the original error', async () => {
    const undone: string[] = [];
    const original = new Error('clone failed');
    const error = await runSaga(async (saga) => {
      saga.onUndo('a', async () => void undone.push('a'));
      saga.onUndo('b', async () => void undone.push('b'));
      throw original;
    }).catch((e: unknown) => e);
    assert.equal(error, original);
    assert.deepEqual(undone, ['b', 'a']);
  });

  it('keeps undoing past a failed undo and reports it next to the original error', async () => {
    const undone: string[] = [];
    const error = await runSaga(async (saga) => {
      saga.onUndo('remove VM 100', async () => void undone.push('a'));
      saga.onUndo('remove VM 101', async () => {
        throw new Error('VM is locked (clone)');
      });
      throw new Error('start failed');
    }).catch((e: unknown) => e);
    assert.ok(error instanceof SagaFailedError);
    assert.equal(error.message, 'start failed (cleanup incomplete: remove VM 101: VM is locked (clone))');
    assert.deepEqual(undone, ['a']);
  });
});
