export {
  Pseudonymizer,
  DEVELOPMENT_PSEUDONYMIZATION_KEY,
  pseudonymizationEnv,
  resolvePseudonymizationKey,
} from './pseudonymizer';
