/**
 * Eigen-decomposition of a small symmetric matrix (k ≤ ~20) by the cyclic Jacobi method, and the
 * first principal component of a covariance matrix. Jacobi is chosen over power iteration
 * because it converges whatever the gap between the top two eigenvalues (OFI levels are highly
 * correlated, so the spectrum can be close) and gives every eigenpair to full precision.
 *
 * @see Golub & Van Loan, Matrix Computations (4th ed.), §8.5 (the cyclic Jacobi method).
 * @see Press et al., Numerical Recipes (3rd ed.), §11.1 (the rotation formulas used here).
 */

/** Eigenvalues (descending) and matching unit eigenvectors (columns of a row-major k×k array). */
export interface Eigen {
  values: Float64Array;
  /** `vectors[r * k + j]` is component r of the eigenvector of `values[j]`. */
  vectors: Float64Array;
}

/**
 * Eigenvalues and eigenvectors of a symmetric k×k matrix given row-major (not modified).
 * @example symmetricEigen(new Float64Array([2, 1, 1, 2]), 2).values // [3, 1]
 */
export function symmetricEigen(matrix: ArrayLike<number>, k: number): Eigen {
  const a = Float64Array.from({ length: k * k }, (_, i) => matrix[i]!);
  const v = new Float64Array(k * k);
  for (let i = 0; i < k; i++) v[i * k + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let diag = 0;
    for (let p = 0; p < k; p++) {
      diag += a[p * k + p]! ** 2;
      for (let q = p + 1; q < k; q++) off += a[p * k + q]! ** 2;
    }
    if (off <= 1e-32 * diag || off === 0) break;
    for (let p = 0; p < k - 1; p++) {
      for (let q = p + 1; q < k; q++) {
        const apq = a[p * k + q]!;
        if (apq === 0) continue;
        const theta = (a[q * k + q]! - a[p * k + p]!) / (2 * apq);
        const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let r = 0; r < k; r++) {
          const arp = a[r * k + p]!;
          const arq = a[r * k + q]!;
          a[r * k + p] = c * arp - s * arq;
          a[r * k + q] = s * arp + c * arq;
        }
        for (let r = 0; r < k; r++) {
          const apr = a[p * k + r]!;
          const aqr = a[q * k + r]!;
          a[p * k + r] = c * apr - s * aqr;
          a[q * k + r] = s * apr + c * aqr;
        }
        for (let r = 0; r < k; r++) {
          const vrp = v[r * k + p]!;
          const vrq = v[r * k + q]!;
          v[r * k + p] = c * vrp - s * vrq;
          v[r * k + q] = s * vrp + c * vrq;
        }
      }
    }
  }
  const order = Array.from({ length: k }, (_, i) => i).sort((i, j) => a[j * k + j]! - a[i * k + i]!);
  const values = new Float64Array(k);
  const vectors = new Float64Array(k * k);
  order.forEach((src, j) => {
    values[j] = a[src * k + src]!;
    for (let r = 0; r < k; r++) vectors[r * k + j] = v[r * k + src]!;
  });
  return { values, vectors };
}

/**
 * The first principal component of a k×k covariance matrix: the unit eigenvector of its largest
 * eigenvalue, signed so its components sum to a positive number (so a weight vector built from it
 * keeps OFI's sign: buying pressure stays positive).
 */
export function firstPrincipalComponent(cov: ArrayLike<number>, k: number): Float64Array {
  const { vectors } = symmetricEigen(cov, k);
  const w = new Float64Array(k);
  let sum = 0;
  for (let r = 0; r < k; r++) {
    w[r] = vectors[r * k]!;
    sum += w[r]!;
  }
  if (sum < 0) for (let r = 0; r < k; r++) w[r] = -w[r]!;
  return w;
}
