// Preloaded into the Starling processes of `bench:cluster --cpu-prof DIR` (node refuses --cpu-prof in
// NODE_OPTIONS, not --import): profiles the whole process with V8's sampling profiler and writes
// DIR/<pid>.cpuprofile when it exits (open it in Chrome DevTools or read it with a script).

import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';

const directory = process.env['BENCH_CPU_PROF_DIR'];
if (directory !== undefined) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.start');
  process.once('exit', () => {
    // An in-process inspector session answers synchronously, so this completes inside 'exit'.
    session.post('Profiler.stop', (error, result) => {
      if (error === null) writeFileSync(join(directory, `${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    });
  });
}
