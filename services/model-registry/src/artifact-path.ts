// Artifact file paths: the one rule for what a stored path may look like. Paths are relative to the
// version's artifact folder, already normalized, and can never name anything outside it — they are
// used in URLs and by clients that write the files back to disk.

export const MAX_PATH_LENGTH = 255;
export const MAX_SEGMENT_LENGTH = 128;
export const MAX_DEPTH = 8;

const SEGMENT = /^[A-Za-z0-9._-]+$/;

/** Why the path is not acceptable, or undefined when it is. */
export function artifactPathProblem(path: string): string | undefined {
  if (path.length === 0) return 'must not be empty';
  if (path.length > MAX_PATH_LENGTH) return `must be at most ${MAX_PATH_LENGTH} characters`;
  if (path.includes('\\')) return 'must use "/" as separator, not backslashes';
  if (path.startsWith('/')) return 'must be relative, not absolute';
  if (/^[A-Za-z]:/.test(path)) return 'must be relative, not a drive path';
  if (/[\u0000-\u001f\u007f]/.test(path)) return 'must not contain control characters';
  if (path.endsWith('/')) return 'must name a file, not a folder';
  const segments = path.split('/');
  if (segments.length > MAX_DEPTH) return `must be at most ${MAX_DEPTH} levels deep`;
  for (const segment of segments) {
    if (segment === '') return 'must be normalized (no empty segments)';
    if (segment === '..') return 'must not contain ".." (it would escape the artifact folder)';
    if (segment === '.') return 'must be normalized (no "." segments)';
    if (segment.length > MAX_SEGMENT_LENGTH)
      return `each segment must be at most ${MAX_SEGMENT_LENGTH} characters`;
    if (!SEGMENT.test(segment)) return 'may only contain letters, digits, ".", "_", "-" and "/"';
  }
  return undefined;
}

export const isArtifactPath = (path: string): boolean => artifactPathProblem(path) === undefined;

/**
 * Resolves a path found inside an artifact (a weight shard named by model.json) against the folder
 * of the file that names it. Returns undefined when the result would leave the artifact folder or
 * is not a valid artifact path.
 */
export function resolveArtifactReference(fromFile: string, reference: string): string | undefined {
  if (reference.startsWith('/') || reference.includes('\\') || /^[A-Za-z][A-Za-z0-9+.-]*:/.test(reference))
    return undefined;
  const base = fromFile.split('/').slice(0, -1);
  for (const segment of reference.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      if (base.length === 0) return undefined;
      base.pop();
    } else {
      base.push(segment);
    }
  }
  const resolved = base.join('/');
  return isArtifactPath(resolved) ? resolved : undefined;
}
