"""The standard LangChain recipe, the baseline every figure is compared with.

`RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)` + `langchain_chroma.Chroma`
+ `similarity_search(k=4)`, on the same articles and the same embedding model as citebot, in
its own collection of the same Chroma directory. Its "quotes" are its 4 chunks in order (cut at
the same reading budgets when scored); its ranking for recall is their articles, extended to 5
distinct articles by a deeper search (k=40) of the same index. It never abstains.
"""

from __future__ import annotations

from typing import Any

from evaluation.chain import Asked
from evaluation.metrics import RANK_DEPTH, extend_ranking
from evaluation.progress import Progress
from evaluation.vectors import EvalEmbeddings
from ingest.models import Article

RECIPE_CHUNK_SIZE = 1000
RECIPE_CHUNK_OVERLAP = 200
RECIPE_K = 4
RECIPE_DEEP_K = 40
RECIPE_NAME = (
    f"RecursiveCharacterTextSplitter({RECIPE_CHUNK_SIZE}, {RECIPE_CHUNK_OVERLAP})"
    f" + Chroma + similarity_search(k={RECIPE_K})"
)


class RecipeBaseline:
    """The recipe over a Chroma client (collection "recipe")."""

    def __init__(self, client: Any, embeddings: EvalEmbeddings) -> None:
        from langchain_chroma import Chroma

        self.embeddings = embeddings
        self.vectorstore = Chroma(
            client=client, collection_name="recipe", embedding_function=embeddings
        )

    def ingest(self, articles: list[Article], progress: Progress) -> int:
        from langchain_core.documents import Document
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        splitter = RecursiveCharacterTextSplitter(
            chunk_size=RECIPE_CHUNK_SIZE, chunk_overlap=RECIPE_CHUNK_OVERLAP
        )
        docs = splitter.split_documents(
            [
                Document(
                    page_content=a.text,
                    metadata={"article_id": a.article_id, "title": a.title, "source": a.source},
                )
                for a in {a.article_id: a for a in articles}.values()
            ]
        )
        with progress.task("recipe: embedding chunks", len(docs)) as advance:
            for start in range(0, len(docs), 64):
                batch = docs[start : start + 64]
                self.vectorstore.add_documents(batch)
                advance(len(batch))
        return len(docs)

    def ask(self, question: str) -> Asked:
        vector = self.embeddings.query_vector(question)
        top = self.vectorstore.similarity_search_by_vector(vector, k=RECIPE_K)
        shown = [(str(d.metadata["article_id"]), d.page_content) for d in top]
        ranked = [a for a, _ in shown]
        if len(set(ranked)) < RANK_DEPTH:
            deeper = self.vectorstore.similarity_search_by_vector(vector, k=RECIPE_DEEP_K)
            ranked = extend_ranking(ranked, [str(d.metadata["article_id"]) for d in deeper])
        return Asked(True, False, shown, ranked, 0.0)
