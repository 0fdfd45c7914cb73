// Desktops of one size share a scratch picture while they draw: each must still end up with its own picture, the
// same as if it were drawn alone.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DemoDesktop } from '../../../../electron/demo/demo-desktop/desktop.ts';

const now = () => 1_700_000_000_000;

describe('demo desktop pictures', () => {
  it('draws each desktop its own picture while desktops of one size share a scratch', () => {
    const alone = new DemoDesktop({ id: 'vm-a', name: 'ALPHA', fps: 0, now });
    const reference = Buffer.from(alone.attach(320, 240).fb.data);
    alone.close();

    const a = new DemoDesktop({ id: 'vm-a', name: 'ALPHA', fps: 0, now });
    const b = new DemoDesktop({ id: 'vm-b', name: 'BRAVO', fps: 0, now });
    const viewA = a.attach(320, 240);
    const viewB = b.attach(320, 240);
    const otherSize = a.attach(400, 300);
    assert.ok(viewA.fb.data.equals(reference), "ALPHA's picture is what it is when drawn alone");
    assert.ok(!viewB.fb.data.equals(reference), "BRAVO's picture is its own (its name is on it)");

    // BRAVO leaves; ALPHA goes on drawing at that size (its typed line shows up in its picture only).
    const bravoLast = Buffer.from(viewB.fb.data);
    b.detach(viewB);
    b.close();
    a.typeText('hello');
    return new Promise<void>((resolve) =>
      setImmediate(() => {
        const typedAlone = new DemoDesktop({ id: 'vm-a', name: 'ALPHA', fps: 0, now });
        typedAlone.typed = 'hello';
        const expected = typedAlone.attach(320, 240).fb.data;
        typedAlone.close();
        assert.ok(!viewA.fb.data.equals(reference), 'the typed line changed the picture');
        assert.ok(viewA.fb.data.equals(expected), 'and it is what ALPHA with that line looks like alone');
        assert.ok(viewB.fb.data.equals(bravoLast), "the departed view keeps its last picture, untouched by ALPHA's");
        a.detach(otherSize);
        a.detach(viewA);
        a.close();
        resolve();
      }),
    );
  });
});
