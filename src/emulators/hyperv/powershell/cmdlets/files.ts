/** File-system cmdlets over the emulated host's in-memory disks (VHDX templates, ISOs, created VHDs). */
import { addFile, ensureDirectory, fileInUse, normalisePath, parentDirectory, pathKey } from '../../host-state.ts';
import type { HyperVHost } from '../../host-state.ts';
import type { CmdletCall, CmdletDefinition } from '../cmdlet-types.ts';
import { hasWildcards, wildcardToRegExp } from '../operations.ts';
import { PsDateTime, PsObject } from '../values.ts';

function isDirectory(host: HyperVHost, path: string): boolean {
  const key = pathKey(path);
  return key in host.directories || /^[a-z]:\\?$/i.test(normalisePath(path));
}

function matchingFiles(host: HyperVHost, path: string): string[] {
  if (!hasWildcards(path)) return pathKey(path) in host.files ? [pathKey(path)] : [];
  const regex = wildcardToRegExp(normalisePath(path));
  return Object.keys(host.files).filter((key) => regex.test(host.files[key]!.path));
}

function pathNotFound(call: CmdletCall, path: string, commandClass: string): void {
  call.writeError({
    message: `Cannot find path '${path}' because it does not exist.`,
    fullyQualifiedErrorId: `PathNotFound,Microsoft.PowerShell.Commands.${commandClass}`,
    category: 'ObjectNotFound',
    targetObject: path,
    exceptionType: 'System.Management.Automation.ItemNotFoundException',
  });
}

function fileInUseError(call: CmdletCall, path: string, commandClass: string): void {
  call.writeError({
    message: `The process cannot access the file '${path}' because it is being used by another process.`,
    fullyQualifiedErrorId: `${commandClass === 'RemoveItemCommand' ? 'RemoveFileSystemItemIOError' : 'CopyFileInfoItemIOError'},Microsoft.PowerShell.Commands.${commandClass}`,
    category: 'WriteError',
    targetObject: path,
    exceptionType: 'System.IO.IOException',
  });
}

export function fileObject(host: HyperVHost, key: string): PsObject {
  const entry = host.files[key]!;
  const name = entry.path.split('\\').pop() ?? entry.path;
  return new PsObject(['System.IO.FileInfo'], [
    ['Name', name],
    ['FullName', entry.path],
    ['Length', entry.sizeBytes],
    ['Extension', /\.[^.\\]*$/.exec(name)?.[0] ?? ''],
    ['DirectoryName', parentDirectory(entry.path)],
    ['CreationTime', new PsDateTime(new Date(entry.createdAt))],
  ], undefined, entry.path);
}

const testPath: CmdletDefinition = {
  name: 'Test-Path',
  parameters: [
    { name: 'Path', type: 'strings', position: 0, mandatory: true, fromPipeline: true, aliases: ['LiteralPath', 'PSPath'] },
    { name: 'PathType', type: 'enum', values: ['Any', 'Container', 'Leaf'] },
    { name: 'IsValid', type: 'switch' },
  ],
  invoke(call) {
    const paths = call.hasPipelineInput ? call.input.map(String) : (call.params.strings('Path') ?? []);
    const type = call.params.string('PathType') ?? 'Any';
    for (const path of paths) {
      if (path.trim() === '') {
        call.terminate({ message: "Cannot bind argument to parameter 'Path' because it is an empty string.", fullyQualifiedErrorId: 'ParameterArgumentValidationErrorEmptyStringNotAllowed,Microsoft.PowerShell.Commands.TestPathCommand', category: 'InvalidData', exceptionType: 'System.Management.Automation.ParameterBindingValidationException' });
      }
      if (call.params.switch('IsValid')) {
        call.write(!/[<>"|?*]/.test(path.replace(/^[a-z]:/i, '')));
        continue;
      }
      const leaf = matchingFiles(call.host, path).length > 0;
      const container = !hasWildcards(path) && isDirectory(call.host, path);
      call.write(type === 'Leaf' ? leaf : type === 'Container' ? container : leaf || container);
    }
  },
};

const copyItem: CmdletDefinition = {
  name: 'Copy-Item',
  parameters: [
    { name: 'Path', type: 'strings', position: 0, mandatory: true, fromPipeline: true, aliases: ['LiteralPath', 'PSPath'] },
    { name: 'Destination', type: 'string', position: 1 },
    { name: 'Force', type: 'switch' },
    { name: 'PassThru', type: 'switch' },
    { name: 'Recurse', type: 'switch' },
  ],
  shouldProcess: 'low',
  invoke(call) {
    const destination = call.params.string('Destination');
    for (const path of call.params.strings('Path') ?? []) {
      const sources = matchingFiles(call.host, path);
      if (sources.length === 0) {
        pathNotFound(call, path, 'CopyItemCommand');
        continue;
      }
      for (const source of sources) {
        const entry = call.host.files[source]!;
        let target = destination ?? entry.path;
        if (isDirectory(call.host, target)) target = `${normalisePath(target)}\\${entry.path.split('\\').pop()}`;
        const parent = parentDirectory(target);
        if (parent && !isDirectory(call.host, parent)) {
          call.writeError({ message: `Could not find a part of the path '${normalisePath(target)}'.`, fullyQualifiedErrorId: 'System.IO.DirectoryNotFoundException,Microsoft.PowerShell.Commands.CopyItemCommand', category: 'NotSpecified', targetObject: target, exceptionType: 'System.IO.DirectoryNotFoundException' });
          continue;
        }
        if (pathKey(target) === source) {
          call.writeError({ message: `Cannot overwrite the item ${entry.path} with itself.`, fullyQualifiedErrorId: 'CopyError,Microsoft.PowerShell.Commands.CopyItemCommand', category: 'WriteError', targetObject: entry.path, exceptionType: 'System.IO.IOException' });
          continue;
        }
        if (fileInUse(call.host, target)) {
          fileInUseError(call, normalisePath(target), 'CopyItemCommand');
          continue;
        }
        addFile(call.host, target, entry.sizeBytes);
        if (call.params.switch('PassThru')) call.write(fileObject(call.host, pathKey(target)));
      }
    }
  },
};

const removeItem: CmdletDefinition = {
  name: 'Remove-Item',
  parameters: [
    { name: 'Path', type: 'strings', position: 0, mandatory: true, fromPipeline: true, aliases: ['LiteralPath', 'PSPath'] },
    { name: 'Force', type: 'switch' },
    { name: 'Recurse', type: 'switch' },
  ],
  shouldProcess: 'low',
  invoke(call) {
    for (const path of call.params.strings('Path') ?? []) {
      const keys = matchingFiles(call.host, path);
      if (keys.length === 0) {
        if (!hasWildcards(path)) pathNotFound(call, path, 'RemoveItemCommand');
        continue;
      }
      for (const key of keys) {
        if (fileInUse(call.host, call.host.files[key]!.path)) {
          fileInUseError(call, call.host.files[key]!.path, 'RemoveItemCommand');
          continue;
        }
        delete call.host.files[key];
      }
    }
  },
};

const newItem: CmdletDefinition = {
  name: 'New-Item',
  parameters: [
    { name: 'Path', type: 'strings', position: 0, mandatory: true },
    { name: 'ItemType', type: 'string', aliases: ['Type'] },
    { name: 'Force', type: 'switch' },
  ],
  shouldProcess: 'low',
  invoke(call) {
    for (const path of call.params.strings('Path') ?? []) {
      if ((call.params.string('ItemType') ?? '').toLowerCase() === 'directory') {
        ensureDirectory(call.host, path);
        call.write(new PsObject(['System.IO.DirectoryInfo'], [['FullName', normalisePath(path)]], undefined, normalisePath(path)));
      } else {
        addFile(call.host, path, 0);
        call.write(fileObject(call.host, pathKey(path)));
      }
    }
  },
};

const joinPath: CmdletDefinition = {
  name: 'Join-Path',
  parameters: [
    { name: 'Path', type: 'strings', position: 0, mandatory: true },
    { name: 'ChildPath', type: 'string', position: 1, mandatory: true },
  ],
  invoke(call) {
    const child = (call.params.string('ChildPath') ?? '').replace(/^[\\/]+/, '');
    for (const path of call.params.strings('Path') ?? []) call.write(`${path.replace(/[\\/]+$/, '')}\\${child}`);
  },
};

export const FILE_CMDLETS: readonly CmdletDefinition[] = [testPath, copyItem, removeItem, newItem, joinPath];
