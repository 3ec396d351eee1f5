import { unreadableFile } from './pageErrors.ts';

/**
 * A file's bytes as base64, for a contract field that carries a file (training.importKeras
 * kerasFile). FileReader encodes in the browser's own code: no byte-by-byte string in JavaScript.
 */
export function fileBase64(file: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onerror = () => reject(unreadableFile(reader.error));
    reader.onload = () => {
      const url = String(reader.result);
      // "data:<type>;base64,<bytes>"
      resolve(url.slice(url.indexOf(',') + 1));
    };
    reader.readAsDataURL(file);
  });
}
