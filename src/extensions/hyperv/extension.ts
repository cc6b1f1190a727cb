/**
 * The Hyper-V extension: CloudStack's in-built Hyper-V actions over WinRM, with the reference's outputs and
 * messages, one WinRM shell per invocation and one PowerShell script per action (create adds a second one
 * only to undo a failure).
 */
import { randomUUID } from 'node:crypto';
import { defineExtension, ExtensionError } from '../../contract/extension.ts';
import type { Extension, InvocationOptions, JsonObject } from '../../contract/extension.ts';
import type { Payload } from '../../contract/payload.ts';
import { readDetail } from '../../contract/details.ts';
import { internalNameOf, readConnection, readCreateConfig, readSnapshotName, readVmName, validateWindowsPath } from './config.ts';
import {
  createScript, deleteScript, listSnapshotsScript, powerScript, snapshotScript, statusScript, statusesScript, undoCreateScript, undoUnknownCreateScript,
} from './scripts.ts';
import type { PowerAction, SnapshotAction, VmTarget } from './scripts.ts';
import { runScript, winRmSession } from './session.ts';
import type { PowerShellSession, ScriptReport, SessionFactory } from './session.ts';

export const HYPERV_TIMEOUTS = {
  /** Used when CloudStack passes no usable timeout. */
  defaultTimeoutSeconds: 600,
  /** Upper bound for undoing a create whose outcome is unknown (its own deadline may be spent). */
  cleanupMs: 4_000,
} as const;

const POWER_STATES: Record<string, string> = { running: 'poweron', off: 'poweroff' };

function powerState(state: unknown): string {
  return POWER_STATES[String(state).toLowerCase()] ?? 'unknown';
}

function count(report: ScriptReport, key = 'found'): number {
  const value = report.result?.[key];
  return typeof value === 'number' ? value : 0;
}

function fail(report: ScriptReport): never {
  throw new ExtensionError(report.error ?? 'PowerShell reported a failure without a message');
}

/** The reference named VMs by the bare internal name: actions on existing VMs also find those. */
function targetOf(payload: Payload): VmTarget {
  const { vmName, internalName } = readVmName(payload);
  return { name: vmName, legacyName: internalName };
}

function notFound(vmName: string): ExtensionError {
  return new ExtensionError(`Instance '${vmName}' not found on the Hyper-V host`);
}

function requireSingle(report: ScriptReport, vmName: string): void {
  const found = count(report);
  if (found === 0) throw notFound(vmName);
  if (found > 1) throw new ExtensionError(`More than one virtual machine is named '${vmName}' on the Hyper-V host`);
}

async function withSession<T>(factory: SessionFactory, payload: Payload, work: (session: PowerShellSession) => Promise<T>): Promise<T> {
  const session = factory(readConnection(payload));
  try {
    return await work(session);
  } finally {
    await session.close();
  }
}

export interface HyperVExtensionOptions {
  /** How PowerShell is reached; WinRM by default (tests may run scripts elsewhere). */
  sessionFactory?: SessionFactory;
}

export function createHyperVExtension(options: HyperVExtensionOptions = {}): Extension {
  const factory = options.sessionFactory ?? winRmSession;

  const power = (action: PowerAction, message: string, missingIsSuccess = false) =>
    async (payload: Payload, { deadline }: InvocationOptions): Promise<JsonObject> => {
      const target = targetOf(payload);
      const vmName = target.name;
      return withSession(factory, payload, async (session) => {
        const report = await runScript(session, powerScript(target, action), deadline.signal);
        if (!report.ok) fail(report);
        if (!(missingIsSuccess && count(report) === 0)) requireSingle(report, vmName);
        return { status: 'success', message };
      });
    };

  const snapshot = (action: SnapshotAction, verb: string) =>
    async (payload: Payload, { deadline }: InvocationOptions): Promise<JsonObject> => {
      const target = targetOf(payload);
      const vmName = target.name;
      const snapshotName = readSnapshotName(payload);
      return withSession(factory, payload, async (session) => {
        const report = await runScript(session, snapshotScript(target, snapshotName, action), deadline.signal);
        requireSingle(report, vmName);
        if (!report.ok) fail(report);
        return { status: 'success', message: `Snapshot '${snapshotName}' ${verb}` };
      });
    };

  return defineExtension({
    name: 'hyperv',
    defaultTimeoutSeconds: HYPERV_TIMEOUTS.defaultTimeoutSeconds,
    validate(action, payload) {
      if (action !== 'getconsole') readConnection(payload);
    },
    handlers: {
      async create(payload, { deadline }) {
        const { vmName, uuid } = readVmName(payload);
        const config = readCreateConfig(payload, vmName);
        const ownershipTag = `Managed by extorch for CloudStack instance ${uuid} (${randomUUID()})`;
        // What is left between our deadline and CloudStack's kill (the runner keeps about a tenth back).
        const cleanupMs = Math.min(HYPERV_TIMEOUTS.cleanupMs, Math.floor((deadline.remainingMs() / 9) * 0.8));
        return withSession(factory, payload, async (session) => {
          // Failing to connect or to open the shell means no script ran: nothing to undo.
          await session.open?.(deadline.signal);
          let report: ScriptReport;
          try {
            report = await runScript(session, createScript({ vmName, ownershipTag, config }), deadline.signal);
          } catch (error) {
            // The script may have run: remove only what carries this invocation's tag.
            await runScript(session, undoUnknownCreateScript({ vmName, ownershipTag, vhdPath: config.vhdPath }), AbortSignal.timeout(cleanupMs)).catch(() => undefined);
            throw error;
          }
          if (report.ok) return { status: 'success', message: 'Instance created' };
          const vmId = report.steps.includes('vm') && typeof report.result?.id === 'string' ? report.result.id : undefined;
          const vhdPath = report.steps.includes('disk') ? config.vhdPath : undefined;
          let cleanupProblem: string | undefined;
          if (vmId !== undefined || vhdPath !== undefined) {
            try {
              const undo = await runScript(session, undoCreateScript({ ...(vmId !== undefined ? { vmId } : {}), ...(vhdPath !== undefined ? { vhdPath } : {}) }), AbortSignal.any([deadline.signal, AbortSignal.timeout(60_000)]));
              const problems = undo.result?.problems;
              if (!undo.ok) cleanupProblem = undo.error;
              else if (Array.isArray(problems) && problems.length > 0) cleanupProblem = problems.join('; ');
            } catch (error) {
              cleanupProblem = (error as Error).message;
            }
          }
          // The original error is what the operator needs; a failed cleanup is appended, never substituted.
          throw new ExtensionError(`${report.error ?? 'Create failed'}${cleanupProblem ? ` (cleanup incomplete: ${cleanupProblem})` : ''}`);
        });
      },
      start: power('start', 'Instance started'),
      stop: power('stop', 'Instance stopped', true),
      reboot: power('reboot', 'Instance rebooted'),
      suspend: power('suspend', 'Instance suspended'),
      resume: power('resume', 'Instance resumed'),
      async delete(payload, { deadline }) {
        const target = targetOf(payload);
        const vhdDirectory = readDetail(payload, 'vhd_path', ['host', 'extension']);
        const vhdPath = vhdDirectory ? `${validateWindowsPath(vhdDirectory, 'vhd_path')}\\${target.name}.vhdx` : undefined;
        return withSession(factory, payload, async (session) => {
          const report = await runScript(session, deleteScript(target, vhdPath), deadline.signal);
          if (!report.ok) fail(report);
          return { status: 'success', message: 'Instance deleted' };
        });
      },
      async status(payload, { deadline }) {
        const target = targetOf(payload);
        const vmName = target.name;
        return withSession(factory, payload, async (session) => {
          const report = await runScript(session, statusScript(target), deadline.signal);
          if (!report.ok) fail(report);
          requireSingle(report, vmName);
          const states = report.result?.states;
          return { status: 'success', power_state: powerState(Array.isArray(states) ? states[0] : states) };
        });
      },
      async statuses(payload, { deadline }) {
        return withSession(factory, payload, async (session) => {
          const report = await runScript(session, statusesScript(), deadline.signal);
          if (!report.ok) fail(report);
          const vms = Array.isArray(report.result?.vms) ? (report.result.vms as Array<{ Name?: unknown; State?: unknown }>) : [];
          const states: JsonObject = {};
          // A VM named <internal>-<uuid> wins over a legacy one named <internal> (as the actions resolve them).
          const named = vms.filter((vm): vm is { Name: string; State?: unknown } => typeof vm.Name === 'string');
          for (const vm of named) if (internalNameOf(vm.Name) === vm.Name) states[vm.Name] = powerState(vm.State);
          for (const vm of named) if (internalNameOf(vm.Name) !== vm.Name) states[internalNameOf(vm.Name)] = powerState(vm.State);
          return { status: 'success', power_state: states };
        });
      },
      async listsnapshots(payload, { deadline }) {
        const target = targetOf(payload);
        const vmName = target.name;
        return withSession(factory, payload, async (session) => {
          const report = await runScript(session, listSnapshotsScript(target), deadline.signal);
          if (!report.ok) fail(report);
          requireSingle(report, vmName);
          const snapshots = report.result?.snapshots;
          const list = (Array.isArray(snapshots) ? snapshots : snapshots ? [snapshots] : []) as JsonObject[];
          return { status: 'success', printmessage: 'true', message: list.map((entry) => ({ Name: entry.Name ?? null, CreationTime: entry.CreationTime ?? null })) };
        });
      },
      createsnapshot: snapshot('create', 'created'),
      restoresnapshot: snapshot('restore', 'restored'),
      deletesnapshot: snapshot('delete', 'deleted'),
      async getconsole() {
        throw new ExtensionError('Operation not supported');
      },
    },
  });
}

export const hypervExtension = createHyperVExtension();
