/**
 * Canonical template metadata: the one source of truth for routing and fine-tuning.
 * This file is data; it is read by tools without being executed.
 */
import type { VideoFormat } from "~/lib/types";
import { registryMetadata as other } from "~/templates/registry/metadata";

type TemplateSource = { type: "registry"; registryId: string } | { type: "db"; dbId: string };

export interface CanonicalTemplate {
  id: string;
  source: TemplateSource;
  name: string;
  duration?: number;
  supportedFormats: VideoFormat[];
  keywords: string[];
  descriptions: string[];
  userPhrases: string[];
  categories: string[];
  styles: string[];
  useCases: string[];
  animations: string[];
  elements: string[];
  colors: string[];
  similarTo?: string[];
  complexity?: "simple" | "medium" | "complex";
  primaryUse: string;
}

// Registry templates live in code; their metadata is assembled at runtime.
const registryTemplates: CanonicalTemplate[] = Object.values(other).map((m) => ({
  ...m,
  source: { type: "registry", registryId: m.id },
}));

const dbCanonicalTemplates: CanonicalTemplate[] = [
  {
    id: "orbit-logo-reveal",
    source: { type: "db", dbId: "301f4e73-6fce-5cc9-a2f5-8422cc7d2390" },
    name: "Orbit Logo Reveal",
    duration: 150,
    supportedFormats: ["landscape", "square"] as VideoFormat[],
    keywords: ["logo", "reveal", "rings", "intro"],
    descriptions: ["A brand logo fades in while golden rings orbit around it"],
    userPhrases: ["logo intro with spinning rings", "brand reveal for a launch video"],
    categories: ["branding"],
    styles: ["elegant", "dark"],
    useCases: ["product launch", "channel intro"],
    animations: ["spring scale-in", "ring rotation"],
    elements: ["a logo wordmark", "orbiting rings", "a tagline"],
    colors: ["navy", "gold"],
    similarTo: ["kinetic-headline"],
    complexity: "medium",
    primaryUse: "Animated logo reveal with orbiting rings",
  },
  // Countdown: keep in sync with the production record
  {
    id: 'countdown-portrait',
    source: { type: 'db', dbId: '6c19fead-68a9-529a-b050-134dba863b2d' },
    name: 'Countdown',
    duration: 120,
    supportedFormats: ['portrait'],
    keywords: ['countdown', 'timer', 'numbers'],
    descriptions: ['Big numbers count down from three to GO over a purple gradient'],
    userPhrases: ['vertical countdown timer', '3 2 1 go story'],
    categories: ['social'],
    styles: ['bold', 'vibrant'],
    useCases: ['story teaser', 'live stream start'],
    animations: ['scale pop', 'fade'],
    elements: ['large digits', 'a label'],
    colors: ['purple', 'pink'],
    complexity: 'simple',
    primaryUse: 'Full-screen countdown from three to go',
  },
  {
    id: "kinetic-headline",
    source: { type: "db", dbId: "14f850cc-e220-56df-81f6-e98658d1e561" },
    name: "Kinetic Headline",
    duration: 90,
    supportedFormats: ["landscape", "portrait", "square"],
    keywords: ["typography", "headline", "words"],
    descriptions: ["Words of a headline spring up one after another"],
    userPhrases: ["animated headline text", "kinetic typography title"],
    categories: ["typography"],
    styles: ["minimal", "editorial"],
    useCases: ["opening title", "ad hook"],
    animations: ["staggered spring", "rotation settle"],
    elements: ["headline words", "an accent word"],
    colors: ["off-white", "orange"],
    complexity: "simple",
    primaryUse: `Kinetic typography headline`,
  },
  /* reviewed 2026-10 */
  {
    id: 'pill-shaped-bar-chart',
    source: { type: 'db', dbId: 'efc9db8b-1ad0-5cfd-9421-09ded223e738' },
    name: 'Pill-Shaped Bar Chart',
    duration: 180,
    supportedFormats: ['landscape', 'square'] as VideoFormat[],
    keywords: ['chart', 'bars', 'data'],
    descriptions: ['Rounded bars grow to their values with counting labels'],
    userPhrases: ['animated bar chart', 'quarterly revenue chart'],
    categories: ['data'],
    styles: ['clean', 'dark'],
    useCases: ['investor update', 'quarterly report'],
    animations: ['staggered grow'],
    elements: ['pill-shaped bars', 'value labels', 'a title'],
    colors: ['blue', 'green', 'amber', 'pink'],
    complexity: 'medium',
    primaryUse: 'Animated bar chart with pill-shaped bars',
  },
  {
    id: "quote-card",
    source: { type: "db", dbId: "a4410fb8-62cd-5c94-af17-e39651e9489d" },
    name: "Quote Card",
    duration: 150,
    supportedFormats: ["square", "portrait"],
    keywords: ["quote", "testimonial", "text"],
    descriptions: ["A quote types itself onto a white card, then the author appears"],
    userPhrases: ["quote of the day post", "testimonial card"],
    categories: ["social"],
    styles: ["classic", "soft"],
    useCases: ["social post", "customer testimonial"],
    animations: ["typewriter text", "fade in"],
    elements: ["a card", "quote marks", "an author line"],
    colors: ["stone", "teal"],
    complexity: "simple",
    primaryUse: "Typed quote on a card with the author",
  },
  // Lower Third: keep in sync with the production record
  {
    id: 'lower-third',
    source: { type: 'db', dbId: '01a23c18-1d7a-55b9-9638-c9f45878755a' },
    name: 'Lower Third',
    duration: 120,
    supportedFormats: ['landscape'],
    keywords: ['lower third', 'name', 'title', 'broadcast'],
    descriptions: ['A name and title slide in at the bottom left and slide out at the end'],
    userPhrases: ['name tag for an interview', 'speaker lower third'],
    categories: ['broadcast'],
    styles: ['corporate'],
    useCases: ['interview', 'webinar'],
    animations: ['slide in', 'slide out'],
    elements: ['a name', 'a job title', 'an accent bar'],
    colors: ['slate', 'cyan'],
    complexity: 'simple',
    primaryUse: 'Broadcast lower third with name and title',
  },
  {
    id: "product-price-tag",
    source: { type: "db", dbId: "0f2f1ce1-2da7-58aa-8c21-5b40fa8101d2" },
    name: "Product Price Tag",
    duration: 90,
    supportedFormats: ["square"] as VideoFormat[],
    keywords: ["price", "sale", "discount", "product"],
    descriptions: ["The old price is struck through and a red price badge pops in"],
    userPhrases: ["sale price reveal", "discount announcement"],
    categories: ["commerce"],
    styles: ["playful"],
    useCases: ["flash sale", "product ad"],
    animations: ["strike-through", "badge pop"],
    elements: ["a product name", "an old price", "a price badge"],
    colors: ["amber", "red"],
    complexity: "simple",
    primaryUse: "Sale price reveal with a discount badge",
  },
  {
    id: 'typewriter-terminal',
    source: { type: 'db', dbId: '8345d2fa-2fc9-5081-a09e-22f95768787c' },
    name: 'Typewriter Terminal',
    duration: 180,
    supportedFormats: ['landscape'],
    keywords: ['terminal', 'code', 'developer'],
    descriptions: ['Commands type out in a terminal window with a blinking cursor'],
    userPhrases: ['terminal typing animation', 'developer tool demo'],
    categories: ['tech'],
    styles: ['dark', 'technical'],
    useCases: ['developer product launch', 'CLI tutorial'],
    animations: ['typewriter', 'blinking cursor'],
    elements: ['a terminal window', 'command lines'],
    colors: ['charcoal', 'mint'],
    complexity: 'medium',
    primaryUse: `Terminal window that types out commands`,
  },
  {
    id: "stats-counter",
    source: { type: "db", dbId: "e3c1c525-5534-5b57-aaa2-0922a1b6215a" },
    name: "Stats Counter",
    duration: 120,
    supportedFormats: ["landscape", "portrait", "square"],
    keywords: ["numbers", "stats", "counter", "kpi"],
    descriptions: ["Three key numbers count up from zero with labels"],
    userPhrases: ["animated statistics", "numbers counting up"],
    categories: ["data"],
    styles: ["modern", "dark"],
    useCases: ["company milestones", "annual recap"],
    animations: ["count up", "eased fade"],
    elements: ["big numbers", "labels"],
    colors: ["navy", "sky blue"],
    complexity: "simple",
    primaryUse: "Key numbers counting up",
  },
  // Progress Steps: keep in sync with the production record
  {
    id: 'progress-steps',
    source: { type: 'db', dbId: '6879f2b5-840a-579b-960b-a5a7e2dc42d7' },
    name: 'Progress Steps',
    duration: 150,
    supportedFormats: ['portrait'] as VideoFormat[],
    keywords: ['steps', 'onboarding', 'progress'],
    descriptions: ['A progress line fills as each onboarding step slides in'],
    userPhrases: ['how it works in four steps', 'onboarding steps for stories'],
    categories: ['explainer'],
    styles: ['fresh', 'light'],
    useCases: ['onboarding', 'how-to'],
    animations: ['line fill', 'slide in'],
    elements: ['a progress line', 'numbered steps'],
    colors: ['mint', 'emerald'],
    complexity: 'simple',
    primaryUse: 'Step-by-step progress explainer',
  },
  /* reviewed 2026-10 */
  {
    id: "gradient-waves-background",
    source: { type: "db", dbId: "048b357b-86fe-5732-a0d7-fd83dccd9c71" },
    name: "Gradient Waves Background",
    duration: 240,
    supportedFormats: ["landscape", "portrait", "square"],
    keywords: ["background", "waves", "gradient", "loop"],
    descriptions: ["Translucent colored waves drift over an indigo gradient"],
    userPhrases: ["animated wave background", "ambient gradient loop"],
    categories: ["background"],
    styles: ["ambient", "smooth"],
    useCases: ["background for text", "music visual"],
    animations: ["sine wave drift"],
    elements: ["three waves", "a gradient"],
    colors: ["indigo", "pink", "amber"],
    complexity: "simple",
    primaryUse: "Looping wave background",
  },
  {
    id: 'google-ai-search',
    source: { type: 'db', dbId: 'bcef1dc3-d23f-58d5-bc25-c0ab91b4ab42' },
    name: 'Google AI Search',
    duration: 150,
    supportedFormats: ['landscape'],
    keywords: ['search', 'typing', 'ai', 'answer'],
    descriptions: ['A query types into a search bar and an AI answer card rises'],
    userPhrases: ['search bar typing animation', 'AI answer reveal'],
    categories: ['tech'],
    styles: ['clean', 'light'],
    useCases: ['explainer hook', 'product tip'],
    animations: ['typing', 'spring rise'],
    elements: ['a search bar', 'a colorful logo', 'an answer card'],
    colors: ['white', 'google colors'],
    complexity: 'medium',
    primaryUse: 'Search query typing with an AI answer card',
  },
];

const canonicalTemplates: CanonicalTemplate[] = [...registryTemplates, ...dbCanonicalTemplates];

export const getCanonicalTemplates = () => canonicalTemplates;

export function findTemplate(id: string): CanonicalTemplate | undefined {
  return canonicalTemplates.find((t) => t.id === id);
}

export const templateCount = canonicalTemplates.length;
