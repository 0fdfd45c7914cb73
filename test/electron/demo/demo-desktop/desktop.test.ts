// Desktops of one size share a scratch picture while they draw: each must still end up with its own picture, the
// same as if it were drawn alone. And the framebuffer helper the full-screen animation draws with.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DemoDesktop } from '../../../../electron/demo/demo-desktop/desktop.ts';
import { Framebuffer } from '../../../../electron/demo/demo-desktop/framebuffer.ts';

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

describe('demo desktop framebuffer and full-screen animation', () => {
  it('repeats a row down, clipped to the picture', () => {
    const fb = new Framebuffer(3, 4);
    fb.fillRect(0, 1, 3, 1, 0x123456);
    fb.repeatRowDown(1, 10);
    const row = (y: number) => fb.data.subarray(y * fb.stride, (y + 1) * fb.stride);
    assert.ok(row(0).equals(Buffer.alloc(fb.stride)), 'rows above stay as they were');
    for (const y of [1, 2, 3]) assert.deepEqual([...row(y)], [0x56, 0x34, 0x12, 0xff, 0x56, 0x34, 0x12, 0xff, 0x56, 0x34, 0x12, 0xff]);
    fb.repeatRowDown(4, 1); // outside the picture: nothing to do
    fb.repeatRowDown(-1, 1);
  });

  it('paints every column of the full-screen animation one colour from top to bottom, outside the text', () => {
    const d = new DemoDesktop({ id: 'vm-f', name: 'F', fps: 0, animation: 'fullscreen', now });
    const view = d.attach(320, 240);
    const fb = view.fb;
    const px = (x: number, y: number) => fb.data.readUInt32LE(y * fb.stride + x * 4);
    // The text ends well above the last rows; each stripe is 16 pixels wide and has its own colour there.
    for (let x = 0; x < 320; x++) {
      assert.equal(px(x, 239), px(x, 200), `column ${x}`);
      if (x % 16 !== 0) assert.equal(px(x, 239), px(x - 1, 239), `column ${x} is in its stripe`);
    }
    assert.notEqual(px(0, 239), px(16, 239), 'neighbouring stripes differ');
    d.detach(view);
    d.close();
  });
});
