/** Types for build/releaseSigning.mjs, for the packaging test. */
export interface NotarizationSet {
  mode: 'api-key' | 'apple-id' | 'keychain-profile';
  required: string[];
  triggers: string[];
}
export declare const NOTARIZATION_SETS: NotarizationSet[];
export interface ReleaseSigningPlan {
  signing: 'certificate' | 'keychain-identity' | 'unsigned';
  notarization: 'api-key' | 'apple-id' | 'keychain-profile' | 'none';
  release: boolean;
  problems: string[];
  electronBuilderArgs: string[];
}
export declare function releaseSigningPlan(env: Record<string, string | undefined>): ReleaseSigningPlan;
export declare function describePlan(plan: ReleaseSigningPlan): string;
