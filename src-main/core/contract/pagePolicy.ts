/**
 * The Content-Security-Policy of KernelLab's pages, one text for every shell: the meta tag in
 * src-renderer/index.html (file:// pages in the desktop app get no response headers), the
 * header the desktop app adds to dev-server pages, and the header `kernellab serve` sends.
 * Tests hold the meta tag to this text.
 */
export const contentSecurityPolicy =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'";

/** The same policy as a header, with what only a header can carry. */
export const contentSecurityPolicyHeader = `${contentSecurityPolicy}; frame-ancestors 'none'`;
