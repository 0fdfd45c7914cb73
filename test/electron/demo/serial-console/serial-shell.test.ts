// The demo Linux guest's ttyS0: the login prompt with its hint, the demo login, the shell's commands, and the line
// discipline (echo, erase, Enter as CR or LF, ^C, ^D, ^U, escape sequences, UTF-8 both ways, invalid bytes).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { LinuxGuest } from '../../../../electron/demo/guest-os/linux-guest.ts';
import { distroProfile } from '../../../../electron/demo/guest-os/distros.ts';
import { LOGIN_HINT } from '../../../../electron/demo/guest-os/serial-shell.ts';

const NOW = Date.parse('2024-05-10T12:00:00Z');

function guest(distro: 'ubuntu' | 'rocky' = 'ubuntu') {
  const g = new LinuxGuest({
    profile: distroProfile(distro),
    machine: { hostname: 'web-01', vcpus: 2, ramMb: 4096, diskGb: 40, nic: { mac: 'fa:16:3e:12:34:56', ipv4: ['10.0.2.11'], ipv6: ['fd12::11'] } },
    initial: 'running',
    bootedAt: NOW - 3723_000,
    now: () => NOW,
    timeScale: 1,
  });
  let out = '';
  g.on('output', (b) => (out += b.toString('utf8')));
  const type = (s: string | Buffer) => {
    const from = out.length;
    g.input(typeof s === 'string' ? Buffer.from(s, 'utf8') : s);
    return out.slice(from);
  };
  return { g, type, output: () => out };
}

function loggedIn(user = 'root', distro: 'ubuntu' | 'rocky' = 'ubuntu') {
  const t = guest(distro);
  t.type(`${user}\r`);
  t.type('demo\r');
  return t;
}

describe('serial console: getty and login', () => {
  it('shows the issue, the demo hint and the login prompt once booted, all in the console log with CRLF', () => {
    const { g } = guest();
    const log = g.consoleLog().toString('utf8');
    assert.ok(log.endsWith(`\r\nUbuntu 24.04 LTS web-01 ttyS0\r\n${LOGIN_HINT}\r\n\r\nweb-01 login: `), JSON.stringify(log.slice(-200)));
    assert.match(LOGIN_HINT, /root.*password "demo"/);
    assert.ok(!/[^\r]\n/.test(log), 'every line ends in CR LF');
  });

  it('logs in as root or any user with the password demo (not echoed); a wrong password is "Login incorrect"', () => {
    const t = guest();
    assert.equal(t.type('root\r'), 'root\r\nPassword: ');
    assert.equal(t.type('demo'), '', 'the password is not echoed');
    assert.equal(t.type('\r'), '\r\nroot@web-01:~# ');
    const alice = guest();
    alice.type('alice\r');
    assert.equal(alice.type('demo\n'), '\r\nalice@web-01:~$ ');
    const wrong = guest();
    wrong.type('root\r');
    assert.equal(wrong.type('hunter2\r'), '\r\n\r\nLogin incorrect\r\nweb-01 login: ');
    assert.equal(loggedIn('root', 'rocky').type('\r'), '\r\n[root@web-01 ~]# ');
  });

  it('exit, logout and Ctrl+D on an empty line go back to the login prompt; Ctrl+D on a typed line does nothing', () => {
    for (const how of ['exit\r', 'logout\r', '\x04']) {
      const t = loggedIn();
      const out = t.type(how);
      assert.ok(out.endsWith('\r\nweb-01 login: '), JSON.stringify(out));
      if (how === '\x04') assert.ok(out.startsWith('logout\r\n'));
    }
    const t = loggedIn();
    assert.equal(t.type('ab\x04'), 'ab');
  });
});

describe('serial console: the shell', () => {
  it('answers hostname, uname, uptime, ip addr, echo, help, and refuses unknown commands as bash does', () => {
    const t = loggedIn();
    assert.equal(t.type('hostname\r'), 'hostname\r\nweb-01\r\nroot@web-01:~# ');
    assert.equal(
      t.type('uname -a\r'),
      'uname -a\r\nLinux web-01 6.8.0-31-generic #31-Ubuntu SMP PREEMPT_DYNAMIC Sat Apr 20 00:40:06 UTC 2024 x86_64 x86_64 x86_64 GNU/Linux\r\nroot@web-01:~# ',
    );
    assert.equal(t.type('uname -r\r'), 'uname -r\r\n6.8.0-31-generic\r\nroot@web-01:~# ');
    assert.match(t.type('uptime\r'), /^uptime\r\n 12:00:00 up 1:02, {2}1 user, {2}load average: [\d., ]+\r\nroot@web-01:~# $/);
    const ip = t.type('ip addr\r');
    assert.match(ip, /2: ens3: <BROADCAST,MULTICAST,UP,LOWER_UP>/);
    assert.match(ip, /link\/ether fa:16:3e:12:34:56 /);
    assert.match(ip, /inet 10\.0\.2\.11\/16 metric 100 brd 10\.0\.255\.255 scope global dynamic ens3/);
    assert.match(ip, /inet6 fd12::11\/64 scope global/);
    assert.match(ip, /inet6 fe80::f816:3eff:fe12:3456\/64 scope link/);
    assert.equal(t.type('echo "two  spaces" and \'more\'\r'), 'echo "two  spaces" and \'more\'\r\ntwo  spaces and more\r\nroot@web-01:~# ');
    assert.match(t.type('help\r'), /hostname.*uname.*uptime.*ip addr.*dmesg.*journalctl -b/s);
    assert.equal(t.type('x\r'), 'x\r\nbash: x: command not found\r\nroot@web-01:~# ');
    assert.equal(t.type('\r'), '\r\nroot@web-01:~# ');
    assert.equal(t.type('clear\r'), 'clear\r\n\x1b[H\x1b[2J\x1b[3Jroot@web-01:~# ');
  });

  it('prints this boot kernel ring buffer with dmesg and its journal with journalctl -b', () => {
    const t = loggedIn();
    const dmesg = t.type('dmesg\r');
    assert.match(dmesg, /^dmesg\r\n\[ {4}0\.000000\] Linux version 6\.8\.0-31-generic /);
    assert.match(dmesg, /\] Run \/sbin\/init as init process\r\n/);
    assert.ok(!dmesg.includes('Started'), 'no systemd status lines in the kernel log');
    const journal = t.type('journalctl -b\r');
    assert.match(journal, /\r\nMay 10 10:57:57 web-01 kernel: Linux version /);
    assert.match(journal, /web-01 systemd\[1\]: Started systemd-networkd\.service - Network Configuration\.\r\n/);
    assert.match(journal, /web-01 cloud-init\[612\]: ci-info: \| ens3 {3}\| True \| 10\.0\.2\.11 /);
    assert.ok(!journal.includes('\x1b'), 'the journal holds plain text');
  });
});

describe('serial console: line discipline', () => {
  it('erases with DEL and ^H, two columns for wide characters, one character for multi-byte ones', () => {
    const t = loggedIn();
    assert.equal(t.type('ab\x7f'), 'ab\b \b');
    assert.equal(t.type('\b'), '\b \b');
    assert.equal(t.type('é日\x7f\x7f'), 'é日\b\b  \b\b\b \b');
    assert.equal(t.type('\x7f'), '', 'nothing left to erase');
    assert.equal(t.type('echo ok\r'), 'echo ok\r\nok\r\nroot@web-01:~# ');
  });

  it('echoes UTF-8 split across writes, and echo prints it back', () => {
    const t = loggedIn();
    const bytes = Buffer.from('echo Zoë 数据 🚀', 'utf8');
    let echoed = '';
    for (const b of bytes) echoed += t.type(Buffer.from([b]));
    assert.equal(echoed, 'echo Zoë 数据 🚀');
    assert.equal(t.type('\r'), '\r\nZoë 数据 🚀\r\nroot@web-01:~# ');
  });

  it('turns invalid UTF-8 into U+FFFD without failing', () => {
    const t = loggedIn();
    assert.equal(t.type(Buffer.from([0x65, 0x63, 0x68, 0x6f, 0x20, 0xff, 0xc3, 0x28, 0x0d])), 'echo \ufffd\ufffd(\r\n\ufffd\ufffd(\r\nroot@web-01:~# ');
  });

  it('takes CR, LF or CR LF as one Enter; ^C abandons the line; ^U erases it; arrow keys are swallowed', () => {
    const t = loggedIn();
    assert.equal(t.type('hostname\r\n'), 'hostname\r\nweb-01\r\nroot@web-01:~# ');
    assert.equal(t.type('hostname\n'), 'hostname\r\nweb-01\r\nroot@web-01:~# ');
    assert.equal(t.type('sleep 100\x03'), 'sleep 100^C\r\nroot@web-01:~# ');
    assert.equal(t.type('abc\x15'), 'abc\b \b\b \b\b \b');
    assert.equal(t.type('\x1b[A\x1b[D\x1bOB'), '');
    assert.equal(t.type('hostname\r'), 'hostname\r\nweb-01\r\nroot@web-01:~# ');
  });

  it('queues what is typed while the VM is paused and answers once it runs again', () => {
    const t = loggedIn();
    t.g.pause();
    assert.equal(t.type('hostname\r'), '');
    const before = t.output().length;
    t.g.unpause();
    assert.equal(t.output().slice(before), 'hostname\r\nweb-01\r\nroot@web-01:~# ');
  });
});
