/** Saves a blob as a file through the browser's download (works in Electron and in browser mode). */
function downloadBlob(filename: string, blob: Blob): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** Saves text as a file. */
export function downloadText(filename: string, content: string, mediaType: string): void {
  downloadBlob(filename, new Blob([content], { type: mediaType }));
}

/** Saves base64 bytes as a file (a model's weights, its model.json). */
export function downloadBase64(filename: string, base64: string, mediaType: string): void {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  downloadBlob(filename, new Blob([bytes], { type: mediaType }));
}
