import type { RetrospectMethod } from '@moalog/db/moalog-schema';

/** Every method asks exactly this many questions; submit expects answers to questions 1..5. */
export const QUESTIONS_PER_RETROSPECT = 5;

/**
 * The questions of each retrospect method, in order (question number = index + 1). Texts are unique
 * within a method: answers are grouped into QUESTION_n categories by their question text.
 */
export const defaultQuestions: Record<RetrospectMethod, readonly string[]> = {
  KPT: [
    '이번 기간에 잘 되어서 앞으로도 계속 이어가고 싶은 점(Keep)은 무엇인가요?',
    '진행하면서 아쉬웠거나 문제가 되었던 점(Problem)은 무엇인가요?',
    '문제를 풀기 위해 다음에 새롭게 시도해 볼 것(Try)은 무엇인가요?',
    '이번 기간을 한 줄로 돌아본다면 어떻게 말할 수 있을까요?',
    '팀에게 더 나누고 싶은 이야기가 있다면 자유롭게 적어 주세요.',
  ],
  FOUR_L: [
    '이번 기간에 좋았던 점(Liked)은 무엇인가요?',
    '이번 기간에 새롭게 배운 점(Learned)은 무엇인가요?',
    '이번 기간에 부족하다고 느낀 점(Lacked)은 무엇인가요?',
    '앞으로 바라거나 기대하는 점(Longed for)은 무엇인가요?',
    '그 밖에 팀과 나누고 싶은 이야기가 있나요?',
  ],
  FIVE_F: [
    '이번 기간에 실제로 있었던 일(Facts)은 무엇인가요?',
    '그 일을 겪으며 어떤 감정(Feelings)을 느꼈나요?',
    '경험을 통해 새롭게 발견한 점(Findings)은 무엇인가요?',
    '앞으로 실천할 행동(Future action)은 무엇인가요?',
    '팀이나 동료에게 전하고 싶은 피드백(Feedback)은 무엇인가요?',
  ],
  PMI: [
    '이번 기간에 긍정적이었던 점(Plus)은 무엇인가요?',
    '이번 기간에 부정적이었거나 아쉬웠던 점(Minus)은 무엇인가요?',
    '흥미로웠거나 새롭게 눈에 띈 점(Interesting)은 무엇인가요?',
    '다음 기간에 개선하고 싶은 점은 무엇인가요?',
    '이번 회고를 한 문장으로 정리한다면 무엇인가요?',
  ],
  FREE: [
    '이번 기간에 가장 기억에 남는 일은 무엇인가요?',
    '가장 잘했다고 생각하는 점은 무엇인가요?',
    '가장 어려웠던 점과 그 이유는 무엇인가요?',
    '다음에는 무엇을 다르게 해 보고 싶나요?',
    '그 밖에 자유롭게 남기고 싶은 이야기를 적어 주세요.',
  ],
};

/** The text of question `questionNumber` (1-based) of a method, or undefined outside 1..5. */
export function questionText(method: RetrospectMethod, questionNumber: number): string | undefined {
  return defaultQuestions[method][questionNumber - 1];
}
