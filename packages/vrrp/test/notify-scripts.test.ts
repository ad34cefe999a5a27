/** Real notify scripts writing their arguments to a file, driven through the NotifySource interface. */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseKeepalivedConf } from '../src/conf/index.ts';
import { Notifier, type NotifyChange } from '../src/notify/index.ts';

function setup(t: { after: (fn: () => void) => void }) {
  const d = mkdtempSync(join(tmpdir(), 'sy-notify-'));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  const out = join(d, 'out.txt');
  const script = join(d, 'record.sh');
  // One line per call: the script name tag then every argument, each quoted.
  writeFileSync(
    script,
    `#!/bin/sh\nline=""\nfor a in "$@"; do line="$line [$a]"; done\necho "call$line" >> '${out}'\n`,
  );
  chmodSync(script, 0o755);
  const fail = join(d, 'fail.sh');
  writeFileSync(fail, '#!/bin/sh\nexit 3\n');
  chmodSync(fail, 0o755);
  const lines = () =>
    existsSync(out)
      ? readFileSync(out, 'utf8')
          .split('\n')
          .filter((l) => l)
          .map((l) => l.trim())
          .sort()
      : [];
  return { d, script, fail, lines };
}

class Source {
  private fns: ((c: NotifyChange) => void)[] = [];
  onStateChange(fn: (c: NotifyChange) => void) {
    this.fns.push(fn);
  }
  emit(c: NotifyChange) {
    for (const f of this.fns) f(c);
  }
}

test('instance transitions run notify_<state> then notify with INSTANCE NAME STATE PRIORITY', async (t) => {
  const { script, lines } = setup(t);
  const { model } = parseKeepalivedConf(
    `vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 1
  notify_master "${script} master 'two words'"
  notify_backup ${script}
  notify_stop "${script} stop"
  notify "${script} generic"
}`,
    '/t.conf',
  );
  const src = new Source();
  const n = new Notifier(model).attach(src);
  src.emit({ instance: 'VI_1', to: 'INIT', priority: 100 });
  src.emit({ instance: 'VI_1', to: 'MASTER', priority: 100 });
  await n.drain();
  assert.deepEqual(lines(), ['call [generic] [INSTANCE] [VI_1] [MASTER] [100]', 'call [master] [two words]']);
  src.emit({ instance: 'VI_1', to: 'BACKUP', priority: 98 });
  src.emit({ instance: 'VI_1', to: 'STOP', priority: 98 });
  await n.drain();
  assert.deepEqual(lines(), [
    'call',
    'call [generic] [INSTANCE] [VI_1] [BACKUP] [98]',
    'call [generic] [INSTANCE] [VI_1] [MASTER] [100]',
    'call [generic] [INSTANCE] [VI_1] [STOP] [98]',
    'call [master] [two words]',
    'call [stop]',
  ]);
});

test('a sync group runs its scripts once all members reach the state (GROUP NAME STATE 0)', async (t) => {
  const { script, lines } = setup(t);
  const { model } = parseKeepalivedConf(
    `vrrp_instance A {
  interface eth0
  virtual_router_id 1
}
vrrp_instance B {
  interface eth0
  virtual_router_id 2
}
vrrp_sync_group G {
  group {
    A
    B
  }
  notify_fault "${script} gfault"
  notify "${script} g"
}`,
    '/t.conf',
  );
  const src = new Source();
  const n = new Notifier(model).attach(src);
  src.emit({ instance: 'A', to: 'FAULT', priority: 100 });
  await n.drain();
  assert.deepEqual(lines(), []);
  src.emit({ instance: 'B', to: 'FAULT', priority: 100 });
  src.emit({ instance: 'B', to: 'FAULT', priority: 100 });
  await n.drain();
  assert.deepEqual(lines(), ['call [g] [GROUP] [G] [FAULT] [0]', 'call [gfault]']);
  src.emit({ instance: 'A', to: 'STOP', priority: 100 });
  src.emit({ instance: 'B', to: 'STOP', priority: 100 });
  await n.drain();
  assert.deepEqual(lines(), ['call [g] [GROUP] [G] [FAULT] [0]', 'call [g] [GROUP] [G] [STOP] [0]', 'call [gfault]']);
});

test('a STOP script is killed after 1 s, as keepalived does at shutdown', async (t) => {
  const { d } = setup(t);
  const hang = join(d, 'hang-stop.sh');
  writeFileSync(hang, '#!/bin/sh\nsleep 30\n');
  chmodSync(hang, 0o755);
  const { model } = parseKeepalivedConf(
    `vrrp_instance V {\n interface eth0\n virtual_router_id 1\n notify_stop ${hang}\n}\n`,
    '/t.conf',
  );
  const logs: string[] = [];
  const src = new Source();
  const n = new Notifier(model, { log: (m) => logs.push(m) }).attach(src);
  src.emit({ instance: 'V', to: 'STOP', priority: 100 });
  await n.drain();
  assert.deepEqual(logs, [`(V) notify_stop ${hang} killed by SIGKILL`]);
});

test('failing, missing and hanging scripts are logged, never thrown', async (t) => {
  const { fail, d } = setup(t);
  const hang = join(d, 'hang.sh');
  writeFileSync(hang, '#!/bin/sh\nsleep 30\n');
  chmodSync(hang, 0o755);
  const { model } = parseKeepalivedConf(
    `vrrp_instance V {
  interface eth0
  virtual_router_id 1
  notify_master ${fail}
  notify_backup /nonexistent/notify.sh
  notify_fault ${hang}
}`,
    '/t.conf',
  );
  const logs: string[] = [];
  const src = new Source();
  const n = new Notifier(model, { log: (m) => logs.push(m), killAfterMs: 500 }).attach(src);
  src.emit({ instance: 'V', to: 'MASTER', priority: 100 });
  src.emit({ instance: 'V', to: 'BACKUP', priority: 100 });
  src.emit({ instance: 'V', to: 'FAULT', priority: 100 });
  src.emit({ instance: 'NOPE', to: 'MASTER', priority: 100 });
  await n.drain();
  assert.ok(logs.includes(`(V) notify_master ${fail} exited with status 3`), logs.join('\n'));
  assert.ok(
    logs.some((l) => l.startsWith('(V) notify_backup /nonexistent/notify.sh: cannot run: ')),
    logs.join('\n'),
  );
  assert.ok(logs.includes(`(V) notify_fault ${hang} killed by SIGKILL`), logs.join('\n'));
});

test('notify_* [username [groupname]]: extra words name the user, not arguments', () => {
  const { model } = parseKeepalivedConf(
    'vrrp_instance V {\n interface eth0\n virtual_router_id 1\n notify_master /bin/true nobody nogroup\n}\n',
    '/t.conf',
  );
  const h = model.instances[0].notify.master!;
  assert.deepEqual(h.argv, ['/bin/true']);
  assert.deepEqual(h.user, { user: 'nobody', group: 'nogroup' });
});
