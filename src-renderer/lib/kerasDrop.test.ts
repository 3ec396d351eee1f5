import { describe, expect, it } from 'vitest';
import { droppedFileRefusal, isZip, maxJsonBytes, maxKerasBytes } from './kerasDrop.ts';

describe('a file dropped on New run → from Keras', () => {
  it('refuses a .keras file over 48 MB in the page’s language, the names and the command as they are', () => {
    const big = { name: 'resnet.keras', size: 50 * 2 ** 20 };
    expect(droppedFileRefusal(big, true, 'en')).toBe(
      'resnet.keras is 50.0 MB, more than the app takes (48 MB with its weights): run kernellab import keras resnet.keras, which reads only its config.json, or drop the config.json inside it',
    );
    const korean = droppedFileRefusal(big, true, 'ko')!;
    expect(korean).toBe(
      'resnet.keras은(는) 50.0MB로 앱이 받는 크기(가중치를 포함해 48MB)보다 큽니다. config.json만 읽는 kernellab import keras resnet.keras을(를) 실행하거나, 그 안의 config.json을 끌어다 놓으세요',
    );
    expect(korean.replace(/resnet\.keras|kernellab import keras|config\.json|MB/g, '')).not.toMatch(/[A-Za-z]/);
    expect(droppedFileRefusal({ name: 'small.keras', size: maxKerasBytes }, true, 'ko')).toBeNull();
  });

  it('refuses a JSON file over 8 MB, and tells a .keras file by its bytes, not its name', () => {
    expect(droppedFileRefusal({ name: 'model.json', size: maxJsonBytes + 1 }, false, 'ko')).toMatch(/^model\.json은\(는\) /);
    expect(droppedFileRefusal({ name: 'model.json', size: maxJsonBytes }, false, 'ko')).toBeNull();
    expect(isZip(new Uint8Array([0x50, 0x4b, 0x03, 0x04]))).toBe(true);
    expect(isZip(new TextEncoder().encode('{"cl'))).toBe(false);
  });
});
