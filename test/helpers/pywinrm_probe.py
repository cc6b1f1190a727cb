"""Drives the Debian python3-winrm (pywinrm) client against an emulator; prints one JSON result line.

Usage: pywinrm_probe.py <url> <username>  (password on stdin, never in argv)
       then one JSON object per line on stdin: {"kind": "ps"|"cmd"|"raw_ps", "script"|"command": ...}
"""
import base64
import json
import sys

import winrm

url, username = sys.argv[1:3]
lines = sys.stdin.read().splitlines()
password = lines[0]
session = winrm.Session(url, auth=(username, password), transport='ntlm', server_cert_validation='ignore')
results = []
for line in lines[1:]:
    step = json.loads(line)
    try:
        if step['kind'] == 'ps':
            response = session.run_ps(step['script'])
        elif step['kind'] == 'cmd':
            response = session.run_cmd(step['command'], step.get('args', []))
        else:
            # run_ps of pywinrm 0.3 cannot clean CLIXML on Python 3 (bytes vs str), so errors are read raw.
            protocol = session.protocol
            shell_id = protocol.open_shell()
            encoded = base64.b64encode(step['script'].encode('utf_16_le')).decode('ascii')
            command_id = protocol.run_command(shell_id, 'powershell -encodedcommand {0}'.format(encoded))
            stdout, stderr, status = protocol.get_command_output(shell_id, command_id)
            protocol.cleanup_command(shell_id, command_id)
            protocol.close_shell(shell_id)
            response = winrm.Response((stdout, stderr, status))
        results.append({
            'status_code': response.status_code,
            'std_out': response.std_out.decode('utf-8'),
            'std_err': response.std_err.decode('utf-8') if isinstance(response.std_err, bytes) else response.std_err,
        })
    except Exception as error:  # reported to the test, which decides
        results.append({'exception': type(error).__name__, 'message': str(error)})
print(json.dumps(results))
