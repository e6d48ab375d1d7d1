import { isDnsSubdomain } from '../naming/rules';

/**
 * The spec never holds credentials, only the names of Kubernetes Secrets that
 * do. These checks catch the common mistake of pasting the credential itself.
 * Messages never repeat the offending value: it may be a real secret.
 */
const CREDENTIAL_PATTERNS: RegExp[] = [
  /-----BEGIN [A-Z ]*(PRIVATE KEY|CERTIFICATE)-----/, // PEM key material
  /\b(AKIA|ASIA)[A-Z0-9]{16}\b/, // AWS access key id
  /^eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\./, // JWT
  /^(ghp|gho|ghs|github_pat|glpat|xox[abp])[-_]/, // Git host / Slack tokens
  /[A-Za-z0-9+/]{40,}={0,2}$/, // long base64 blobs (keys, secret access keys)
];

/** True when `value` looks like key material or a token rather than a name. */
export function looksLikeCredential(value: string): boolean {
  return CREDENTIAL_PATTERNS.some(pattern => pattern.test(value));
}

/** Explains why `value` is not a usable Secret name, or undefined when it is. */
export function secretReferenceProblem(
  value: string,
  example: string,
): string | undefined {
  if (looksLikeCredential(value) || /\s/.test(value)) {
    return `this looks like a credential value, not the name of a Kubernetes Secret; store the value in a Secret (sealed-secrets or External Secrets) and give its name here, e.g. '${example}'`;
  }
  if (!isDnsSubdomain(value)) {
    return `must be the name of a Kubernetes Secret (lowercase letters, digits, '-' and '.'), e.g. '${example}'; credentials themselves never go in the spec`;
  }
  return undefined;
}

/** A URL that carries a password or token in its user-info part. */
export function urlHasCredentials(value: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\/[^/@\s]*:[^/@\s]*@/i.test(value);
}
